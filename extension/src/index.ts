import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { BudgetPanel } from './panel';
import { createRendererFactory } from './renderer';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  PALETTE_CATEGORY,
  RENDERER_PLUGIN_ID,
  SETTINGS_PLUGIN_ID,
  readSettings
} from './tokens';

/** Refreshes the panel (budgets, history) when a release is drawn (debounced: a notebook may draw many). */
let onRelease: (() => void) | undefined;
let releaseTimer: ReturnType<typeof setTimeout> | undefined;
function releaseDrawn(): void {
  if (releaseTimer !== undefined) clearTimeout(releaseTimer);
  releaseTimer = setTimeout(() => onRelease?.(), 500);
}

/** Draws application/vnd.lomas.result.v1+json outputs in notebooks, consoles and output views. */
const rendererPlugin: JupyterFrontEndPlugin<void> = {
  id: RENDERER_PLUGIN_ID,
  description: 'Renders Lomas differentially private results.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    // Rank 10: preferred over the HTML (50) and text fallbacks that kernel-lib sends in the same bundle.
    // Charts are drawn by JupyterLab's own Vega-Lite renderer, found through this registry.
    rendermime.addFactory(createRendererFactory(releaseDrawn, rendermime), 10);
  }
};

/** Settings, the budget side panel and the palette commands. */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: SETTINGS_PLUGIN_ID,
  description: 'Lomas settings, budget side panel and commands.',
  autoStart: true,
  optional: [ISettingRegistry, ICommandPalette, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new BudgetPanel();
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, 'lomas-budget-panel');
    onRelease = () => void panel.refresh();

    app.commands.addCommand(CommandIDs.openBudgetPanel, {
      label: 'Lomas: Open budget panel',
      caption: 'Show your privacy budget per dataset',
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.refreshBudgets, {
      label: 'Lomas: Refresh budgets',
      execute: () => panel.refresh()
    });
    for (const command of [CommandIDs.openBudgetPanel, CommandIDs.refreshBudgets]) {
      palette?.addItem({ command, category: PALETTE_CATEGORY });
    }

    if (!settingRegistry) {
      panel.configure(DEFAULT_SETTINGS);
      return;
    }
    settingRegistry
      .load(SETTINGS_PLUGIN_ID)
      .then(settings => {
        const apply = (): void => panel.configure(readSettings(settings.composite));
        settings.changed.connect(apply);
        apply();
      })
      .catch(reason => {
        console.error('jupyterlab-lomas: could not load settings, using defaults.', reason);
        panel.configure(DEFAULT_SETTINGS);
      });
  }
};

export default [rendererPlugin, panelPlugin];
