module.exports = {
  displayName: 'image-drivers',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
