module.exports = {
  displayName: 'compute-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
