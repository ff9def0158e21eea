import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@casestats/testing';

// Docker does not run on this machine, so the deployment files are checked by parsing them.
// Compose applies YAML merge keys (<<), as YAML 1.1 did.
const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const services = compose.services as Record<string, Record<string, unknown>>;
const CLI_COMMANDS = ['migrate', 'project', 'export', 'simulate', 'serve', 'projector', 'rebuild', 'token', 'start'];

describe('docker-compose.yml', () => {
  it('has Kafka, PostgreSQL, the migration, the projector, the export app and the simulator', () => {
    expect(Object.keys(services).sort()).toEqual(['export', 'kafka', 'migrate', 'postgres', 'projector', 'simulator']);
  });

  it('runs the same Kafka version as the broker the tests use', () => {
    const pom = readFileSync(join(REPO_ROOT, 'kafka/pom.xml'), 'utf8');
    const version = /<kafka.version>([^<]+)<\/kafka.version>/.exec(pom)?.[1];
    expect(services.kafka.image).toBe(`apache/kafka:${version}`);
    const env = services.kafka.environment as Record<string, string>;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('starts in the right order on health', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries((service.depends_on ?? {}) as Record<string, { condition: string }>)) {
        expect(Object.keys(services), `${name} depends on ${dep}`).toContain(dep);
        if (cond.condition === 'service_healthy') expect(services[dep].healthcheck, `${dep} needs a healthcheck`).toBeDefined();
        if (cond.condition === 'service_completed_successfully') expect(services[dep].restart).toBe('no');
      }
    }
    expect(Object.keys(services.projector.depends_on as object)).toEqual(['kafka', 'migrate']);
    expect(Object.keys(services.migrate.depends_on as object)).toEqual(['postgres']);
  });

  it('gives the apps real casestats commands and the configuration they read', () => {
    for (const name of ['migrate', 'projector', 'export', 'simulator']) {
      const [command] = services[name].command as string[];
      expect(CLI_COMMANDS).toContain(command);
      const env = services[name].environment as Record<string, string>;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(env.KAFKA_BROKERS).toBe('kafka:19092');
    }
  });
});

describe('Dockerfile', () => {
  it('builds on Node 20 from the lock file, copies what exists, and runs the CLI as a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const path of m[1].split(' ')) expect(existsSync(join(REPO_ROOT, path)), path).toBe(true);
    }
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/casestats.js"\]$/m);
  });
});
