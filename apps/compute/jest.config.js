module.exports = {
  displayName: 'compute',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
