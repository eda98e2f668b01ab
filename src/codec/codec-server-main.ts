/**
 * `npm run codec-server`: decrypts payloads for the Temporal Web UI and CLI. Needs the same
 * PAYLOAD_ENCRYPTION_KEYS as the worker; CODEC_* variables configure the server (docs/encryption.md).
 */
import { exitOnFailure, runService } from '../service/run';

runService(['codec-server']).catch(exitOnFailure);
