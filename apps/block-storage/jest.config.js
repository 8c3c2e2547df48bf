module.exports = {
  displayName: 'block-storage',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
