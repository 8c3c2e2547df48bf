module.exports = {
  displayName: 'network-api',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
