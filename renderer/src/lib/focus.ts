// Focus hand-back for modals and menus: focus returns to what opened them; when that is gone
// (the welcome screen's button after a folder is added), to the grid, else the search field.

const FALLBACKS = ['main [role="grid"]', 'main input[name="instruction"]'];

export function restoreFocus(opener: Element | null): void {
  // After the closing update: the opener may come back or go away in the same tick.
  queueMicrotask(() => {
    const now = document.activeElement;
    // Something else took focus on purpose (the instruction field after "Find related…").
    if (now && now !== document.body && now.isConnected && !now.closest('dialog, [role="dialog"], [role="menu"]')) return;
    const target = opener instanceof HTMLElement && opener.isConnected && opener !== document.body ? opener : FALLBACKS.map((s) => document.querySelector<HTMLElement>(s)).find(Boolean);
    target?.focus();
  });
}

/** Tab / Shift+Tab cycle inside `box` (a modal): returns true when it moved focus. */
export function trapTab(e: KeyboardEvent, box: HTMLElement | undefined): boolean {
  if (e.key !== 'Tab' || !box) return false;
  const items = [...box.querySelectorAll<HTMLElement>('button:not(:disabled), input:not(:disabled), select, textarea, [tabindex="0"]')];
  if (items.length === 0) return false;
  const i = items.indexOf(document.activeElement as HTMLElement);
  const next = e.shiftKey ? (i <= 0 ? items.length - 1 : i - 1) : (i + 1) % items.length;
  items[next]!.focus();
  e.preventDefault();
  return true;
}
