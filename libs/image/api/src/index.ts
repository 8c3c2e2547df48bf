export * from './image.config';
export * from './image.module';
