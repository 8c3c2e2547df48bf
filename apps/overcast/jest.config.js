module.exports = {
  displayName: 'overcast',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
