module.exports = {
  displayName: 'image',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
