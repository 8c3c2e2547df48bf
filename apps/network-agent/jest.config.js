module.exports = {
  displayName: 'network-agent',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
