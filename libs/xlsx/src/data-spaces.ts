/**
 * The `\x06DataSpaces` storage of an encrypted OOXML file ([MS-OFFCRYPTO] 2.1, 2.3.4.1): it tells a
 * reader that the EncryptedPackage stream went through the strong-encryption transform. Its
 * content never varies, so it is built once from the structures of the spec.
 */

/** UNICODE-LP-P4: byte length, UTF-16LE characters, zero padding to a multiple of 4. */
function unicodeLpP4(text: string): Buffer {
  const chars = Buffer.from(text, 'utf16le');
  const out = Buffer.alloc(4 + Math.ceil(chars.length / 4) * 4);
  out.writeUInt32LE(chars.length, 0);
  chars.copy(out, 4);
  return out;
}

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeUInt32LE(v, i * 4));
  return out;
}

/** Three versions (reader, updater, writer), each major 1 minor 0 as uint16 pairs. */
const VERSIONS_1_0 = Buffer.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]);

export const DATA_SPACES = '\u0006DataSpaces';

function dataSpaceMap(): Buffer {
  const entry = Buffer.concat([
    u32(1, 0), // one reference component, of type stream
    unicodeLpP4('EncryptedPackage'),
    unicodeLpP4('StrongEncryptionDataSpace'),
  ]);
  return Buffer.concat([u32(8, 1, 4 + entry.length), entry]);
}

function transformPrimary(): Buffer {
  const id = unicodeLpP4('{FF9A3F03-56EF-4613-BDD5-5A41C1D07246}');
  return Buffer.concat([
    // TransformInfoHeader: its length counts everything before TransformName; type 1 = encryption.
    u32(8 + id.length, 1),
    id,
    unicodeLpP4('Microsoft.Container.EncryptionTransform'),
    VERSIONS_1_0,
    // EncryptionTransformInfo: empty name, block size 0, cipher mode 0, reserved 4.
    u32(0, 0, 0, 4),
  ]);
}

/** Every stream of the storage, by path below the root. */
export function dataSpacesStreams(): { path: string[]; data: Buffer }[] {
  return [
    { path: [DATA_SPACES, 'Version'], data: Buffer.concat([unicodeLpP4('Microsoft.Container.DataSpaces'), VERSIONS_1_0]) },
    { path: [DATA_SPACES, 'DataSpaceMap'], data: dataSpaceMap() },
    {
      path: [DATA_SPACES, 'DataSpaceInfo', 'StrongEncryptionDataSpace'],
      data: Buffer.concat([u32(8, 1), unicodeLpP4('StrongEncryptionTransform')]),
    },
    { path: [DATA_SPACES, 'TransformInfo', 'StrongEncryptionTransform', '\u0006Primary'], data: transformPrimary() },
  ];
}
