module.exports = {
  displayName: 'shared-ceph',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
