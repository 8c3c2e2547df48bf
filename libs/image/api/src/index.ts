export * from './image.config';
export * from './image.module';
export * from './image.runner';
