import { createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AgileEncryptor, passwordKey } from './agile-encryptor';
import { iteratedPasswordHash } from './password-hash';

// Known-answer vectors published in msoffcrypto-tool's documentation, taken from files Office wrote.
const PASSWORD = 'Password1234_';
const KEY_SALT = Buffer.from('4c725d45dc610f939412a04da7910466', 'hex');
const ENCRYPTED_KEY_VALUE = Buffer.from('a16cd5165a7ab9d271113ed386a78cf49692e8e527b0c5fc0055ed080b7cb94b', 'hex');
const SECRET_KEY = Buffer.from('40206609d9faadf24b076aebf2c435b74292c8b8a7aa81bc679be89711b02ac2', 'hex');
const VERIFIER_SALT = Buffer.from('cbca1c999343fbad92075634150034b0', 'hex');
const VERIFIER_INPUT = Buffer.from('39eea54e26e514798c284bc7714d38ac', 'hex');
const VERIFIER_VALUE = Buffer.from(
  '14376d6d817334e6b0ff4fd8221a7c678e5d8a784e8f999f4c188930c36a4b29c5b333605b5cd403b05003adcf18cca8cbab8debe373c65604a0becfae5c0ad0',
  'hex',
);

const decrypt = (key: Buffer, iv: Buffer, data: Buffer) => {
  const d = createDecipheriv('aes-256-cbc', key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
};

describe('agile key derivation', () => {
  it('recovers the secret key Office encrypted for a known password', async () => {
    const h = await iteratedPasswordHash(PASSWORD, KEY_SALT, 100_000).result;
    const key = passwordKey(h, Buffer.from('146e0be7abacd0d6', 'hex'));
    expect(decrypt(key, KEY_SALT, ENCRYPTED_KEY_VALUE).equals(SECRET_KEY)).toBe(true);
  });

  it('verifies a known password and rejects another through the verifier hash', async () => {
    const check = async (password: string) => {
      const h = await iteratedPasswordHash(password, VERIFIER_SALT, 100_000).result;
      const input = decrypt(passwordKey(h, Buffer.from('fea7d2763b4b9e79', 'hex')), VERIFIER_SALT, VERIFIER_INPUT);
      const value = decrypt(passwordKey(h, Buffer.from('d7aa0f6d3061344e', 'hex')), VERIFIER_SALT, VERIFIER_VALUE);
      return createHash('sha512').update(input).digest().equals(value);
    };
    expect(await check(PASSWORD)).toBe(true);
    expect(await check('password1234_')).toBe(false);
  });
});

describe('AgileEncryptor', () => {
  it('describes itself as Excel does, with the spin count it used', async () => {
    const enc = new AgileEncryptor({ password: 'pw', spinCount: 10 });
    const info = await enc.encryptionInfo(Buffer.alloc(64));
    expect(info.readUInt16LE(0)).toBe(4);
    expect(info.readUInt16LE(2)).toBe(4);
    expect(info.readUInt32LE(4)).toBe(0x40);
    const xml = info.subarray(8).toString('utf8');
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8" standalone="yes"\?>\r\n<encryption /);
    expect(xml).toContain('<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512"');
    expect(xml).toContain('<p:encryptedKey spinCount="10" ');
    expect(xml).not.toContain('pw"');
    expect(info.length).toBe(enc.encryptionInfoLength());
  });

  it('encrypts each segment independently, padding only the last to the block size', () => {
    const enc = new AgileEncryptor({ password: 'pw', spinCount: 1 });
    expect(enc.encryptSegment(0, Buffer.alloc(4096, 1)).length).toBe(4096);
    expect(enc.encryptSegment(1, Buffer.alloc(17, 1)).length).toBe(32);
    // Same plaintext, different segment index: different IV, different ciphertext.
    expect(enc.encryptSegment(2, Buffer.alloc(16)).equals(enc.encryptSegment(3, Buffer.alloc(16)))).toBe(false);
  });

  it('refuses an empty password and silly spin counts without echoing the password', () => {
    expect(() => new AgileEncryptor({ password: '' })).toThrow(/password/);
    expect(() => new AgileEncryptor({ password: 'x', spinCount: 0 })).toThrow(/spinCount/);
    expect(() => new AgileEncryptor({ password: 'secret-long-enough'.repeat(20) })).toThrow(/^password must be/);
  });
});
