import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@casestats/testing';

// The docs are read in clones of this repository alone: a link must land on a file the
// repository holds (committed or staged), never beside it (../shared was one), and an anchor on
// a heading of that file.

const DOCS = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Link {
  file: string;
  line: number;
  target: string;
}

/** The text outside fenced code blocks and code spans, line by line: links there are not links. */
function proseLines(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '');
  });
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  proseLines(readFileSync(join(REPO_ROOT, file), 'utf8')).forEach((text, i) => {
    // Inline links and images: [text](target "title"), ![alt](target).
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ file, line: i + 1, target: m[1] });
    // Reference definitions: [name]: target
    const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (ref) links.push({ file, line: i + 1, target: ref[1] });
  });
  return links;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdownFile: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLinesKeepingCode(readFileSync(markdownFile, 'utf8'))) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = heading[1].replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  return anchors;
}

/** Headings may hold code spans (their text counts for the anchor); only fenced blocks are skipped. */
function proseLinesKeepingCode(text: string): string[] {
  let fenced = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    return !fenced;
  });
}

/** The paths git holds (committed or staged), with the folders above them. */
function repositoryPaths(): Set<string> {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  const paths = new Set<string>();
  for (const f of files) {
    for (let p = f; p !== '.'; p = dirname(p)) paths.add(p);
  }
  return paths;
}

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

function problemsOf(links: Link[], tracked: Set<string>): string[] {
  const problems: string[] = [];
  for (const { file, line, target } of links) {
    const where = `${file}:${line} → ${target}`;
    if (EXTERNAL.test(target)) continue;
    const [pathPart, anchor] = target.split('#') as [string, string | undefined];
    const absolute = pathPart ? resolve(REPO_ROOT, dirname(file), decodeURIComponent(pathPart)) : join(REPO_ROOT, file);
    const inRepo = relative(REPO_ROOT, absolute);
    if (inRepo.startsWith('..') || inRepo.split(sep).includes('..')) {
      problems.push(`${where}: outside the repository`);
      continue;
    }
    const key = inRepo.split(sep).join('/') || '.';
    if (!existsSync(absolute)) {
      problems.push(`${where}: no such file`);
      continue;
    }
    if (key !== '.' && !tracked.has(key)) {
      problems.push(`${where}: not in the repository (untracked)`);
      continue;
    }
    if (anchor && statSync(absolute).isFile() && absolute.endsWith('.md') && !anchorsOf(absolute).has(decodeURIComponent(anchor))) {
      problems.push(`${where}: no heading with the anchor #${anchor}`);
    }
  }
  return problems;
}

describe('README.md and docs/', () => {
  const tracked = repositoryPaths();

  it('link only to files and headings the repository holds', () => {
    const links = DOCS.flatMap(linksOf);
    // The check must have something to check: the docs link one another and the screenshot.
    expect(links.filter((l) => !EXTERNAL.test(l.target)).length).toBeGreaterThan(10);
    expect(problemsOf(links, tracked)).toEqual([]);
  });

  it('never point at the shared folder beside the repository', () => {
    const mentions = DOCS.flatMap((file) =>
      readFileSync(join(REPO_ROOT, file), 'utf8')
        .split('\n')
        .flatMap((text, i) => (text.includes('../shared') || text.includes('/work/shared') ? [`${file}:${i + 1}`] : [])),
    );
    expect(mentions).toEqual([]);
  });

  it('the checker catches what it is for', () => {
    const links: Link[] = [
      { file: 'README.md', line: 1, target: '../shared/spec/cases.md' },
      { file: 'README.md', line: 2, target: 'docs/no-such-page.md' },
      { file: 'README.md', line: 3, target: 'docs/cases.md#no-such-heading' },
      { file: 'docs/export.md', line: 4, target: '../../outside.md' },
      { file: 'README.md', line: 5, target: 'docs/cases.md#fields-in-export-order' },
      { file: 'docs/export.md', line: 6, target: 'cases.md#firstaskedat' },
      { file: 'docs/guide.ko.md', line: 7, target: '#1-로그인' },
      { file: 'README.md', line: 8, target: 'https://example.com/x' },
    ];
    expect(problemsOf(links, tracked).map((p) => p.split(':')[1].split(' ')[0])).toEqual(['1', '2', '3', '4']);
  });
});
