import { expect } from 'vitest';
import { signMemberToken } from '@casestats/export-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/**
 * A member calling the export app's API, as the integration tests do: tokens signed with the
 * server's secret, GET with or without a bearer, and GET that must answer 200 with JSON.
 * `baseUrl` is read at call time: the server starts in beforeAll, after this is made.
 */
export function memberApi(baseUrl: () => string, secret: string, defaultPermissions: string[]) {
  const token = ({ channelId = 'ch-1', permissions = defaultPermissions }: { channelId?: string; permissions?: string[] } = {}) =>
    signMemberToken({ memberId: 'm-1', name: 'Kim', channelId, permissions, expiresIn: '1h' }, secret, Math.floor(Date.now() / 1000));
  const get = async (path: string, auth: string | null = null) =>
    fetch(`${baseUrl()}${path}`, { headers: auth === null ? {} : { authorization: `Bearer ${auth}` } });
  const json = async (path: string, auth?: string): Promise<Json> => {
    const res = await get(path, auth ?? (await token()));
    expect(res.status, path).toBe(200);
    return res.json();
  };
  return { token, get, json };
}
