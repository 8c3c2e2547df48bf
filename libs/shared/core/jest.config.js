module.exports = {
  displayName: 'shared-core',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
