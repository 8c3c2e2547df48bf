module.exports = {
  displayName: 'identity-api',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
