import { randomBytes } from 'node:crypto';

/**
 * Caliza's ids are 24-hex Mongo ObjectIds: 4 bytes of seconds, 5 random bytes per process, 3 bytes of
 * counter. Same layout here, so ids sort by creation time and never collide within one double.
 */
export function createObjectIdGenerator(): () => string {
  const processPart = randomBytes(5).toString('hex');
  let counter = randomBytes(3).readUIntBE(0, 3);
  return () => {
    counter = (counter + 1) % 0x1000000;
    const seconds = Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0');
    return `${seconds}${processPart}${counter.toString(16).padStart(6, '0')}`;
  };
}

export const OBJECT_ID_PATTERN = /^[0-9a-f]{24}$/;

export function newTraceId(): string {
  return randomBytes(8).toString('hex');
}

export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}
