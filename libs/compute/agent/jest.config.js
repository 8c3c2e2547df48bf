module.exports = {
  displayName: 'compute-agent-lib',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
