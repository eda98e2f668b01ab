export { dataConverterFromEnv, encryptionCodecFromEnv } from './data-converter';
export {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_KEY_ID,
  PayloadDecryptionError,
} from './encryption-codec';
export {
  CURRENT_KEY_VARIABLE,
  EncryptionConfigError,
  type EncryptionKeyring,
  KEYS_VARIABLE,
  keyringFromEnv,
} from './encryption-keys';
export {
  type CodecServerHandle,
  type CodecServerOptions,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_CODEC_PORT,
  DEFAULT_UI_ORIGINS,
  buildCodecServer,
  startCodecServer,
} from './codec-server';
export { codecServerOptionsFromEnv } from './codec-server-env';
