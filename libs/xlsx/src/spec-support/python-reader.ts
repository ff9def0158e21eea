import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Test helper: runs read_xlsx.py with a python3 that has msoffcrypto-tool and openpyxl. */

const SCRIPT = join(__dirname, 'read_xlsx.py');
let python: string | undefined;

/**
 * pyenv or a venv may shadow Debian's python3 (which is where apt puts python3-msoffcrypto-tool and
 * python3-openpyxl), so try the candidates until one imports both.
 */
export function findPython(): string {
  if (python) return python;
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (spawnSync(c, ['-c', 'import msoffcrypto, openpyxl'], { stdio: 'ignore' }).status === 0) return (python = c);
  }
  throw new Error(`no python3 with msoffcrypto and openpyxl among ${candidates.join(', ')}: apt-get install python3-msoffcrypto-tool python3-openpyxl`);
}

export interface PyCell {
  t: string;
  v: string | number | boolean;
  fmt: string;
  bold: boolean;
}

export interface PySheet {
  name: string;
  freeze: string | null;
  autoFilter: string | null;
  widths: Record<string, number>;
  rows: (PyCell | null)[][];
}

export interface PyCount {
  name: string;
  rows: number;
  lastRow: number | null;
  first: (PyCell | null)[][];
}

export interface PyZip {
  bad: string | null;
  entries: { name: string; size: number; compressed: number; offset: number; extractVersion: number }[];
}

export function readWithPython(mode: 'cells', path: string, password: string): Promise<{ sheets: PySheet[] }>;
export function readWithPython(mode: 'count', path: string, password: string): Promise<{ sheets: PyCount[] }>;
export function readWithPython(mode: 'zip', path: string, password: string): Promise<PyZip>;
export function readWithPython(mode: string, path: string, password: string): Promise<unknown> {
  const py = findPython();
  return new Promise((resolve, reject) => {
    execFile(py, [SCRIPT, mode, path, password], { maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`read_xlsx.py ${mode} failed: ${stderr.trim().split('\n').slice(-1)[0] ?? err.message}`));
      resolve(JSON.parse(stdout));
    });
  });
}
