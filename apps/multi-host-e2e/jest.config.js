module.exports = {
  displayName: 'multi-host-e2e',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
