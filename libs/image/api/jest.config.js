module.exports = {
  displayName: 'image-api',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
