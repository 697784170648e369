/**
 * classroom.js — classroom mode on the page (docs/api.md, "Classroom mode"): who is
 * looking, shown as a chip in the header, and which models cannot be changed.
 *
 *   student   a "your workspace" chip: their models are private to this browser,
 *             the demo models are shared and read-only
 *   teacher   a "teacher" chip with a workspace picker (GET /api/workspaces): their
 *             own models, or any student's, with its model and job counts; the choice
 *             is kept for the tab and sent with every call by api.js (?workspace=ID)
 * Beside the model picker, a "demo · read-only" badge marks a demo model (its
 * detail's read_only); the training drawer disables its controls for it. On a
 * local server (classroom mode off) none of this shows.
 */

import { api, chooseWorkspace, chosenWorkspace } from './api.js';
import { el } from './lib/dom.js';

export const READ_ONLY_TIP = 'A demo model: shared by the class and read-only. Make a copy of your own to train it.';

const plural = (count, word) => `${count} ${word}${count === 1 ? '' : 's'}`;

export class ClassroomView {
  constructor(topbar) {
    this.chip = el('div', { class: 'classroom-chip', 'data-role': 'classroom', hidden: true });
    // "demo" always; " · read-only" only where the header has room (a container query in app.css).
    this.badge = el('span', { class: 'read-only-badge', 'data-role': 'read-only-badge', title: READ_ONLY_TIP, hidden: true },
      'demo', el('span', { class: 'read-only-more', text: ' · read-only' }));
    topbar.querySelector('[data-role=model-select]').after(this.badge); // before the summary line, which shrinks first
    topbar.querySelector('[data-role=actions]').before(this.chip);
  }

  /** Ask the server who this page is; resolves to {on, role, ...} (GET /api/classroom). */
  async load() {
    let info;
    try {
      info = await api.classroom();
    } catch {
      return null; // the chip is a help, not a need: the page works without it
    }
    this.info = info;
    document.body.dataset.classroom = info.role;
    if (!info.on) return info;
    this.chip.hidden = false;
    if (info.role === 'teacher') await this.showTeacher();
    else this.showStudent(info);
    return info;
  }

  showStudent({ workspace_max_models: models, workspace_max_jobs: jobs }) {
    this.chip.replaceChildren(el('span', { class: 'classroom-role', text: 'your workspace' }));
    this.chip.title = `Your models are private to this browser (up to ${plural(models, 'model')}, `
      + `${plural(jobs, 'training job')} at a time). The demo models are shared and read-only.`;
  }

  async showTeacher() {
    const workspaces = await api.workspaces().catch(() => []);
    const chosen = chosenWorkspace();
    if (chosen && !workspaces.some((w) => w.id === chosen)) { // gone since (its folder was removed)
      chooseWorkspace(null);
      location.reload();
      return;
    }
    const select = el('select', { 'data-role': 'workspace-select', 'aria-label': 'Workspace',
      onchange: () => { chooseWorkspace(select.value === 'teacher' ? null : select.value); location.reload(); } },
    workspaces.map((w) => el('option', { value: w.id, text: workspaceLabel(w), selected: w.id === (chosen ?? 'teacher') })));
    this.chip.replaceChildren(el('span', { class: 'classroom-role', text: 'teacher' }), select);
    this.chip.title = 'You see every workspace: pick one to open its models and jobs.';
  }

  /** props: {name (the model on screen), detail} */
  update({ name, detail }) {
    this.badge.hidden = !(detail && detail.name === name && detail.read_only);
  }
}

function workspaceLabel({ id, models, jobs }) {
  const who = id === 'teacher' ? 'my models' : `student ${id.slice(0, 6)}`;
  return `${who} · ${plural(models, 'model')}${jobs ? ` · ${plural(jobs, 'job')}` : ''}`;
}
