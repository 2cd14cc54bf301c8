/// <reference lib="dom" />
/**
 * The live page of `vfi creds serve`: three panes kept in step, with the same conversions the CLI
 * uses (../convert.ts, bundled by esbuild). Nothing here talks to the network.
 */
import {
  checkName,
  configOf,
  configOfSecret,
  credentialsOfConfig,
  parseConfig,
  parseSecret,
  renderConfig,
  renderSecret,
  secretOf,
  type Credential,
} from '../convert.js';

type Pane = 'rows' | 'config' | 'secret';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const rowsBody = $<HTMLTableSectionElement>('rows');
const configText = $<HTMLTextAreaElement>('config');
const secretText = $<HTMLTextAreaElement>('secret');
const nameInput = $<HTMLInputElement>('secret-name');
const namespaceInput = $<HTMLInputElement>('secret-namespace');

const FIELDS = ['registry', 'username', 'password', 'email'] as const;

function showError(pane: Pane, e: unknown): void {
  $(`${pane}-error`).textContent = e ? (e instanceof Error ? e.message : String(e)) : '';
  $(`${pane}-pane`).classList.toggle('invalid', Boolean(e));
}

function addRow(c: Partial<Credential> = {}): void {
  const tr = document.createElement('tr');
  for (const f of FIELDS) {
    const td = document.createElement('td');
    const input = document.createElement('input');
    input.name = f;
    if (f === 'password') input.type = 'password';
    input.value = c[f] ?? '';
    input.spellcheck = false;
    input.autocomplete = 'off';
    input.placeholder = { registry: 'registry.example.com', username: 'user', password: 'password', email: 'optional' }[f];
    input.addEventListener('input', () => void fromRows());
    td.append(input);
    tr.append(td);
  }
  const td = document.createElement('td');
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove';
  remove.title = 'remove this registry';
  remove.setAttribute('aria-label', 'remove this registry');
  remove.textContent = '×';
  remove.addEventListener('click', () => {
    tr.remove();
    void fromRows();
  });
  td.append(remove);
  tr.append(td);
  rowsBody.append(tr);
}

function readRows(): Credential[] {
  const rows: Credential[] = [];
  for (const tr of rowsBody.querySelectorAll('tr')) {
    const v = (f: string) => (tr.querySelector(`input[name="${f}"]`) as HTMLInputElement).value;
    const row = { registry: v('registry'), username: v('username'), password: v('password'), email: v('email') };
    if (Object.values(row).every((x) => x === '')) continue; // a fresh row being filled in
    rows.push(row);
  }
  return rows;
}

function writeRows(creds: Credential[]): void {
  rowsBody.replaceChildren();
  for (const c of creds) addRow(c);
  if (creds.length === 0) addRow();
}

function secretNames(): { name: string; namespace?: string } {
  const ns = namespaceInput.value.trim();
  return { name: checkName(nameInput.value.trim(), 'name'), ...(ns ? { namespace: checkName(ns, 'namespace') } : {}) };
}

async function secretFor(creds: Credential[]): Promise<string> {
  return renderSecret(secretOf(configOf(creds), secretNames()), 'yaml');
}

// Each pane's handler converts what was typed and rewrites only the other two, so the text being
// edited is never replaced; an error shows beside that pane and leaves the other two as they were.
async function update(pane: Pane, convert: () => Promise<void>): Promise<void> {
  try {
    await convert();
    for (const p of ['rows', 'config', 'secret'] as const) showError(p, undefined);
  } catch (e) {
    showError(pane, e);
  }
}

// A bad Secret name is the Secret pane's error, though the rows are what get converted.
const fromRows = (pane: Pane = 'rows') =>
  update(pane, async () => {
    const creds = readRows();
    const config = renderConfig(configOf(creds));
    secretText.value = await secretFor(creds);
    configText.value = config;
  });

const fromConfig = () =>
  update('config', async () => {
    const creds = credentialsOfConfig(parseConfig(configText.value));
    secretText.value = await secretFor(creds);
    writeRows(creds);
  });

const fromSecret = () =>
  update('secret', async () => {
    const { secret } = await parseSecret(secretText.value);
    const creds = credentialsOfConfig(configOfSecret(secret));
    if (secret.metadata?.name) nameInput.value = secret.metadata.name;
    namespaceInput.value = secret.metadata?.namespace ?? '';
    writeRows(creds);
    configText.value = renderConfig(configOf(creds));
  });

function download(filename: string, text: string, type: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

$('add-row').addEventListener('click', () => {
  addRow();
  (rowsBody.lastElementChild?.querySelector('input') as HTMLInputElement | null)?.focus();
});
configText.addEventListener('input', () => void fromConfig());
secretText.addEventListener('input', () => void fromSecret());
for (const input of [nameInput, namespaceInput]) input.addEventListener('input', () => void fromRows('secret'));
$('rows-download').addEventListener('click', () => download('credentials.json', `${JSON.stringify(readRows(), null, 2)}\n`, 'application/json'));
$('config-download').addEventListener('click', () => download('config.json', configText.value, 'application/json'));
$('secret-download').addEventListener('click', () => download(`${nameInput.value.trim() || 'regcred'}.yaml`, secretText.value, 'application/yaml'));

writeRows([]);
void fromRows();
