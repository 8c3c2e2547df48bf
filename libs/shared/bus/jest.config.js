module.exports = {
  displayName: 'shared-bus',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
