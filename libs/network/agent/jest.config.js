module.exports = {
  displayName: 'network-agent-lib',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
