// A picker: a button naming the choice ("전체" when none), opening a searchable list of
// checkboxes, or of radio buttons for a single choice (the time zone). Native inputs and buttons carry
// the keyboard and the screen reader; the chosen ids are what the API and the export get, the names
// only what a person reads.
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

/**
 * `root`: an empty element with an id; `words()`: { label, all, search, noMatch, none, clear, more(n) } in
 * the page's language; `showIds`: each name with its id beside it (two teams may share a name); `single`:
 * exactly one value, chosen once and closed; `onOpen()`: called before the list shows. The inputs'
 * change events bubble to the page's form like any field's.
 */
export function createPicker(root, words, { showIds = false, single = false, onOpen } = {}) {
  const id = root.id;
  const names = new Map(); // every name seen, so that a choice outside the range's values keeps its name
  let offered = [];
  const chosen = new Set();
  const button = el('button', { type: 'button', className: 'multi-button', id: `${id}-button` });
  const text = el('span', { className: 'multi-text', id: `${id}-text` });
  button.append(text);
  const search = el('input', { type: 'search', className: 'multi-search', autocomplete: 'off', spellcheck: false });
  const list = el('div', { className: 'multi-list', role: single ? 'radiogroup' : 'group', id: `${id}-list` });
  const empty = el('p', { className: 'hint multi-empty', hidden: true });
  const clear = el('button', { type: 'button', className: 'multi-clear' });
  const panel = el('div', { className: 'multi-panel', id: `${id}-panel`, hidden: true }, search, list, empty, clear);
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', panel.id);
  root.replaceChildren(button, panel);

  const nameOf = (value) => names.get(value) ?? value;
  const boxes = () => [...list.querySelectorAll('input')];
  const visibleBoxes = () => boxes().filter((b) => !b.closest('label').hidden);

  function renderButton() {
    const w = words();
    const picked = [...chosen].map(nameOf);
    text.textContent = !picked.length ? w.all : picked.length <= 2 ? picked.join(', ') : `${picked.slice(0, 2).join(', ')} ${w.more(picked.length - 2)}`;
    button.title = picked.join(', ');
    // The label first, then the choice: "담당팀 전체", "Team Support".
    button.setAttribute('aria-labelledby', `${id}-label ${text.id}`);
    clear.hidden = single || !picked.length;
  }

  function renderList() {
    const w = words();
    const values = [...new Set([...offered, ...chosen])];
    list.setAttribute('aria-label', w.label);
    list.replaceChildren(...values.map((value) => {
      const box = el('input', { type: single ? 'radio' : 'checkbox', name: single ? `${id}-choice` : '', value, checked: chosen.has(value) });
      const name = nameOf(value);
      return el('label', { className: 'multi-option', title: value }, box, el('span', { textContent: name }), showIds && name !== value ? el('span', { className: 'multi-id', textContent: value }) : '');
    }));
    search.setAttribute('aria-label', w.search);
    search.placeholder = w.search;
    clear.textContent = w.clear;
    filter();
    renderButton();
  }

  function filter() {
    // "new york" finds America/New_York as well as "new_york" does.
    const plain = (text) => text.toLowerCase().replace(/_/g, ' ');
    const needle = plain(search.value.trim());
    for (const box of boxes()) box.closest('label').hidden = !!needle && !plain(`${nameOf(box.value)} ${box.value}`).includes(needle);
    empty.hidden = visibleBoxes().length > 0;
    empty.textContent = needle ? words().noMatch : words().none;
  }

  function open() {
    onOpen?.();
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    // A long single-choice list opens at its choice.
    const at = list.querySelector('input:checked')?.closest('label');
    if (at) list.scrollTop = at.offsetTop - list.offsetTop - list.clientHeight / 2;
    search.focus();
  }
  function close(focusButton = false) {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    search.value = '';
    filter();
    if (focusButton) button.focus();
  }

  button.addEventListener('click', () => (panel.hidden ? open() : close()));
  search.addEventListener('input', filter);
  list.addEventListener('change', (ev) => {
    if (single) chosen.clear();
    if (ev.target.checked) chosen.add(ev.target.value); else chosen.delete(ev.target.value);
    renderButton();
  });
  // A single choice is made by choosing, the same one again included (no change event then): the list closes.
  if (single) list.addEventListener('click', (ev) => { if (ev.target.type === 'radio') close(true); });
  clear.addEventListener('click', () => {
    chosen.clear();
    boxes().forEach((b) => { b.checked = false; });
    renderButton();
    // One change for the whole clearing, from a box, as the page's form listens for.
    list.dispatchEvent(new Event('change', { bubbles: true }));
    search.focus();
  });
  // Arrows walk the shown boxes, Escape closes, Enter in the search ticks the only match or the first:
  // Enter never submits the page's form from inside the picker.
  panel.addEventListener('keydown', (ev) => {
    const shown = visibleBoxes();
    const at = shown.indexOf(document.activeElement);
    if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(true); }
    else if (ev.key === 'ArrowDown' && shown.length) { ev.preventDefault(); shown[Math.min(at + 1, shown.length - 1)].focus(); }
    else if (ev.key === 'ArrowUp') { ev.preventDefault(); (at > 0 ? shown[at - 1] : search).focus(); }
    else if (ev.key === 'Enter') {
      ev.preventDefault();
      const target = ev.target === search ? shown[0] : ev.target.tagName === 'INPUT' ? ev.target : null;
      if (target) target.click();
    }
  });
  root.addEventListener('focusout', (ev) => { if (!root.contains(ev.relatedTarget)) close(); });
  document.addEventListener('click', (ev) => { if (!root.contains(ev.target)) close(); });

  return {
    /** The values the range offers: `[{ id, name }]` or plain ids. */
    setOptions(items) {
      offered = items.map((item) => {
        const value = typeof item === 'string' ? item : item.id;
        if (typeof item !== 'string' && item.name) names.set(value, item.name);
        return value;
      });
      renderList();
    },
    /** Names from elsewhere (the options' translations): shown, never sent. */
    setNames(map) { for (const [k, v] of Object.entries(map)) names.set(k, v); renderList(); },
    values: () => [...chosen],
    setValues(values) { chosen.clear(); values.forEach((v) => chosen.add(v)); renderList(); },
    names: () => [...chosen].map(nameOf),
    nameOf,
    relabel: renderList,
    button,
    close,
  };
}
