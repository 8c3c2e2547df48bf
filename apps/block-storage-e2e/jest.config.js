module.exports = {
  displayName: 'block-storage-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
