module.exports = {
  displayName: 'image-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
