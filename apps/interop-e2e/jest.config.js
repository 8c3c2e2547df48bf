module.exports = {
  displayName: 'interop-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
