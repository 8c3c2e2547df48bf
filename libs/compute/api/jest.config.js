module.exports = {
  displayName: 'compute-api',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
