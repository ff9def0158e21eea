import { createCipheriv, createHmac, hash, randomBytes, type Hmac } from 'node:crypto';
import { iteratedPasswordHash, type PasswordHashing } from './password-hash';

/**
 * ECMA-376 Agile Encryption ([MS-OFFCRYPTO] 2.3.4.10–2.3.4.15) with the parameters Excel itself
 * uses: AES-256-CBC, SHA-512, 16-byte salts, 4096-byte segments, one password key encryptor.
 */

export const SEGMENT_LENGTH = 4096;
const BLOCK_SIZE = 16;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const HASH_BYTES = 64;
export const DEFAULT_SPIN_COUNT = 100_000;

// Block keys of [MS-OFFCRYPTO] 2.3.4.11–2.3.4.14: they make every derived key and IV distinct.
const BLOCK_VERIFIER_INPUT = Buffer.from('fea7d2763b4b9e79', 'hex');
const BLOCK_VERIFIER_VALUE = Buffer.from('d7aa0f6d3061344e', 'hex');
const BLOCK_ENCRYPTED_KEY = Buffer.from('146e0be7abacd0d6', 'hex');
const BLOCK_HMAC_KEY = Buffer.from('5fb2ad010cb9e1f6', 'hex');
const BLOCK_HMAC_VALUE = Buffer.from('a0677f02b22c8433', 'hex');

const sha512 = (...parts: Buffer[]): Buffer => hash('sha512', Buffer.concat(parts), 'buffer');

/** Final step of the password key derivation: H(Hn ‖ blockKey), cut (or 0x36-padded) to the key size. */
export function passwordKey(iterated: Buffer, blockKey: Buffer): Buffer {
  const h = sha512(iterated, blockKey);
  if (h.length >= KEY_BYTES) return h.subarray(0, KEY_BYTES);
  return Buffer.concat([h, Buffer.alloc(KEY_BYTES - h.length, 0x36)]);
}

function aesCbc(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  // Agile encryption pads with zeros to the block size itself, never PKCS#7.
  cipher.setAutoPadding(false);
  const padded = data.length % BLOCK_SIZE === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK_SIZE - (data.length % BLOCK_SIZE))]);
  return Buffer.concat([cipher.update(padded), cipher.final()]);
}

export interface AgileEncryptorOptions {
  password: string;
  spinCount?: number;
}

/** What lets a reader recover the package key from the password ([MS-OFFCRYPTO] 2.3.4.10). */
interface PasswordKeyEncryptor {
  encryptedVerifierHashInput: Buffer;
  encryptedVerifierHashValue: Buffer;
  encryptedKeyValue: Buffer;
}

/** Of the sizes the real values have (16, 64 and 32 bytes), for the stream's length before they are known. */
const SIZED_LIKE_THE_KEY_ENCRYPTOR: PasswordKeyEncryptor = {
  encryptedVerifierHashInput: Buffer.alloc(SALT_BYTES),
  encryptedVerifierHashValue: Buffer.alloc(HASH_BYTES),
  encryptedKeyValue: Buffer.alloc(KEY_BYTES),
};

/**
 * Holds the per-file secrets: the random intermediate key that encrypts the package, and what the
 * EncryptionInfo stream needs to let a reader recover that key from the password. The package key
 * is random, so segments are encrypted from the start; only the EncryptionInfo stream, written
 * last, needs the password's keys, which are derived meanwhile on a thread of their own.
 */
export class AgileEncryptor {
  readonly spinCount: number;
  private readonly secretKey = randomBytes(KEY_BYTES);
  private readonly keyDataSalt = randomBytes(SALT_BYTES);
  private readonly passwordSalt = randomBytes(SALT_BYTES);
  private readonly hmacKey = randomBytes(HASH_BYTES);
  private readonly ivInput = Buffer.alloc(SALT_BYTES + 4);
  private readonly hashing: PasswordHashing;
  private readonly keyEncryptor: Promise<PasswordKeyEncryptor>;

  constructor(opts: AgileEncryptorOptions) {
    this.spinCount = opts.spinCount ?? DEFAULT_SPIN_COUNT;
    if (!Number.isInteger(this.spinCount) || this.spinCount < 1 || this.spinCount > 10_000_000) {
      throw new RangeError('spinCount must be an integer from 1 to 10,000,000');
    }
    if (typeof opts.password !== 'string' || opts.password.length === 0 || opts.password.length > 255) {
      // Excel accepts at most 255 characters; the message never echoes the password.
      throw new RangeError('password must be 1 to 255 characters');
    }
    this.hashing = iteratedPasswordHash(opts.password, this.passwordSalt, this.spinCount);
    this.keyEncryptor = this.hashing.result.then((iterated) => this.encryptKey(iterated));
    // Awaited by encryptionInfo(); a file aborted before then never asks.
    this.keyEncryptor.catch(() => undefined);
    this.keyDataSalt.copy(this.ivInput, 0);
  }

  private encryptKey(iterated: Buffer): PasswordKeyEncryptor {
    const verifierInput = randomBytes(SALT_BYTES);
    const encryptor = {
      encryptedVerifierHashInput: aesCbc(passwordKey(iterated, BLOCK_VERIFIER_INPUT), this.passwordSalt, verifierInput),
      encryptedVerifierHashValue: aesCbc(passwordKey(iterated, BLOCK_VERIFIER_VALUE), this.passwordSalt, sha512(verifierInput)),
      encryptedKeyValue: aesCbc(passwordKey(iterated, BLOCK_ENCRYPTED_KEY), this.passwordSalt, this.secretKey),
    };
    iterated.fill(0);
    return encryptor;
  }

  /**
   * Encrypts one segment of the package (≤ 4096 bytes; the last one is zero-padded to 16). Each
   * segment has its own IV, so segments are independent and can be produced as data arrives.
   */
  encryptSegment(index: number, plain: Buffer): Buffer {
    this.ivInput.writeUInt32LE(index, SALT_BYTES);
    const iv = hash('sha512', this.ivInput, 'buffer').subarray(0, BLOCK_SIZE);
    return aesCbc(this.secretKey, iv, plain);
  }

  /** HMAC-SHA512 of the whole EncryptedPackage stream (size prefix included), fed in order. */
  createIntegrityHmac(): Hmac {
    return createHmac('sha512', this.hmacKey);
  }

  /** The EncryptionInfo stream: version 4.4, flags 0x40 (agile), then the XML descriptor. */
  async encryptionInfo(hmacValue: Buffer): Promise<Buffer> {
    return this.describe(hmacValue, await this.keyEncryptor);
  }

  private describe(hmacValue: Buffer, key: PasswordKeyEncryptor): Buffer {
    const ivKey = sha512(this.keyDataSalt, BLOCK_HMAC_KEY).subarray(0, BLOCK_SIZE);
    const ivValue = sha512(this.keyDataSalt, BLOCK_HMAC_VALUE).subarray(0, BLOCK_SIZE);
    const encryptedHmacKey = aesCbc(this.secretKey, ivKey, this.hmacKey);
    const encryptedHmacValue = aesCbc(this.secretKey, ivValue, hmacValue);
    const b64 = (b: Buffer) => b.toString('base64');
    const algo =
      `saltSize="${SALT_BYTES}" blockSize="${BLOCK_SIZE}" keyBits="${KEY_BYTES * 8}" hashSize="${HASH_BYTES}" ` +
      'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"';
    const xml =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' +
      '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" ' +
      'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password" ' +
      'xmlns:c="http://schemas.microsoft.com/office/2006/keyEncryptor/certificate">' +
      `<keyData ${algo} saltValue="${b64(this.keyDataSalt)}"/>` +
      `<dataIntegrity encryptedHmacKey="${b64(encryptedHmacKey)}" encryptedHmacValue="${b64(encryptedHmacValue)}"/>` +
      '<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">' +
      `<p:encryptedKey spinCount="${this.spinCount}" ${algo} saltValue="${b64(this.passwordSalt)}" ` +
      `encryptedVerifierHashInput="${b64(key.encryptedVerifierHashInput)}" ` +
      `encryptedVerifierHashValue="${b64(key.encryptedVerifierHashValue)}" ` +
      `encryptedKeyValue="${b64(key.encryptedKeyValue)}"/>` +
      '</keyEncryptor></keyEncryptors></encryption>';
    const head = Buffer.alloc(8);
    head.writeUInt16LE(4, 0);
    head.writeUInt16LE(4, 2);
    head.writeUInt32LE(0x40, 4);
    return Buffer.concat([head, Buffer.from(xml, 'utf8')]);
  }

  /** Length of encryptionInfo(): fixed for a file, so the container can be laid out before the HMAC is known. */
  encryptionInfoLength(): number {
    return this.describe(Buffer.alloc(HASH_BYTES), SIZED_LIKE_THE_KEY_ENCRYPTOR).length;
  }

  /** Best effort: drop the secrets once the file is written, and stop a derivation nobody will wait for. */
  async dispose(): Promise<void> {
    await this.hashing.stop();
    this.secretKey.fill(0);
    this.hmacKey.fill(0);
  }
}
