module.exports = {
  displayName: 'network-drivers',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
