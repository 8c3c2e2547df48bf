export * from './ceph-cli';
