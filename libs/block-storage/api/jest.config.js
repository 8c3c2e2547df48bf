module.exports = {
  displayName: 'block-storage-api',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
