export * from './verification-client';
export * from './temporal-connection';
