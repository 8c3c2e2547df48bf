module.exports = {
  displayName: 'network-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
