module.exports = {
  displayName: 'overcast-runtime',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
