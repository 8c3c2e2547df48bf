module.exports = {
  displayName: 'compute-drivers',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
