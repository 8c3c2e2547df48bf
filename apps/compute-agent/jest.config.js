module.exports = {
  displayName: 'compute-agent',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
