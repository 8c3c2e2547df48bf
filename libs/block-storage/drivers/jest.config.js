module.exports = {
  displayName: 'block-storage-drivers',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
