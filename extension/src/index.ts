import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { AdminPanel } from './admin/panel';
import { registerCommands } from './commands';
import { LomasModel } from './model';
import { BudgetPanel } from './panel';
import { createChartRendererFactory, createRendererFactory } from './renderer';
import { requestAPI } from './request';
import { LomasStatus } from './statusItem';
import {
  ADMIN_PANEL_ID,
  ADMIN_PLUGIN_ID,
  CommandIDs,
  DEFAULT_SETTINGS,
  ILomasModel,
  MODEL_PLUGIN_ID,
  OBSOLETE_SETTINGS,
  PALETTE_CATEGORY,
  readSettings,
  RENDERER_PLUGIN_ID,
  SETTINGS_PLUGIN_ID,
  STATUS_PLUGIN_ID
} from './tokens';

/**
 * The Lomas plugins. The model (ILomasModel) holds the connection, budgets and history and is the
 * only one to call Lomas (through the Jupyter server extension); the others draw it and act on it.
 */

const modelPlugin: JupyterFrontEndPlugin<ILomasModel> = {
  id: MODEL_PLUGIN_ID,
  description: 'The Lomas connection, budgets and history, through the Jupyter server.',
  autoStart: true,
  provides: ILomasModel,
  activate: () => {
    const model = new LomasModel(requestAPI);
    void model.refreshConnection();
    return model;
  }
};

/** Draws results and their charts in notebooks, consoles and output views. */
const rendererPlugin: JupyterFrontEndPlugin<void> = {
  id: RENDERER_PLUGIN_ID,
  description: 'Renders Lomas differentially private results and their charts.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [ILomasModel],
  activate: (_app: JupyterFrontEnd, rendermime: IRenderMimeRegistry, model: ILomasModel | null) => {
    // Rank 10: preferred over the HTML (50), Vega-Lite (57) and text fallbacks of the same bundles.
    // Charts are drawn by JupyterLab's own Vega-Lite renderer, found through this registry.
    rendermime.addFactory(
      createRendererFactory(bundle => model?.releaseDrawn(bundle), rendermime),
      10
    );
    rendermime.addFactory(createChartRendererFactory(rendermime), 10);
  }
};

/** Settings, the budget side panel and the palette commands. */
const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: SETTINGS_PLUGIN_ID,
  description: 'Lomas budget side panel, sign-in and commands.',
  autoStart: true,
  requires: [ILomasModel],
  optional: [ISettingRegistry, ICommandPalette, ILayoutRestorer, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    model: ILomasModel,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    tracker: INotebookTracker | null
  ) => {
    const panel = new BudgetPanel(model, app.commands);
    app.shell.add(panel, 'left', { rank: 900 });
    restorer?.add(panel, 'lomas-budget-panel');
    registerCommands(app, model, palette, tracker);
    if (settingRegistry) void removeObsoleteSettings(settingRegistry);
  }
};

/**
 * Earlier versions kept the server URL and the API key in the settings file (in clear): removed
 * when found, and the user told where the key lives now.
 */
async function removeObsoleteSettings(registry: ISettingRegistry): Promise<void> {
  try {
    const settings = await registry.load(SETTINGS_PLUGIN_ID);
    const found = OBSOLETE_SETTINGS.filter(k => settings.user[k] !== undefined);
    for (const key of found) await settings.remove(key);
    if (found.includes('apiKey'))
      Notification.warning(
        'Lomas no longer keeps your API key in JupyterLab\'s settings: the old copy was removed from your settings file. Sign in with "Lomas: Sign in"; the Jupyter server keeps the key in your Lomas config file.',
        { autoClose: false }
      );
  } catch (reason) {
    console.error('jupyterlab-lomas: could not read its settings.', reason);
  }
}

/** The remaining budget of the dataset last queried, in the status bar; a click opens the panel. */
const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: STATUS_PLUGIN_ID,
  description: 'Lomas budget in the status bar.',
  autoStart: true,
  requires: [ILomasModel],
  optional: [IStatusBar, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    model: ILomasModel,
    statusBar: IStatusBar | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    if (!statusBar) return;
    let settings = DEFAULT_SETTINGS;
    const item = new LomasStatus(
      model,
      () => void app.commands.execute(CommandIDs.openBudgetPanel)
    );
    statusBar.registerStatusItem(STATUS_PLUGIN_ID, {
      item,
      align: 'left',
      rank: 50,
      isActive: () => settings.statusBar
    });
    void settingRegistry?.load(SETTINGS_PLUGIN_ID).then(s => {
      const apply = (): void => {
        settings = readSettings(s.composite);
        item.setHidden(!settings.statusBar);
      };
      s.changed.connect(apply);
      apply();
    });
  }
};

/** The admin panel, for holders of the admin role only (its command is hidden otherwise). */
const adminPlugin: JupyterFrontEndPlugin<void> = {
  id: ADMIN_PLUGIN_ID,
  description: 'Lomas administration: users and keys, datasets, grants, spending, audit.',
  autoStart: true,
  requires: [ILomasModel],
  optional: [IRenderMimeRegistry, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    model: ILomasModel,
    rendermime: IRenderMimeRegistry | null,
    palette: ICommandPalette | null
  ) => {
    let panel: AdminPanel | undefined;
    app.commands.addCommand(CommandIDs.openAdminPanel, {
      label: 'Lomas: Open admin panel',
      caption: 'Users and keys, datasets, grants, spending and the audit trail (admin role)',
      isVisible: () => model.isAdmin,
      isEnabled: () => model.isAdmin,
      execute: () => {
        if (!model.isAdmin) return;
        if (!panel || panel.isDisposed) {
          panel = new AdminPanel(model, rendermime ?? undefined);
          app.shell.add(panel, 'main');
        }
        app.shell.activateById(ADMIN_PANEL_ID);
      }
    });
    palette?.addItem({ command: CommandIDs.openAdminPanel, category: PALETTE_CATEGORY });
    model.connectionChanged.connect(() =>
      app.commands.notifyCommandChanged(CommandIDs.openAdminPanel)
    );
  }
};

export default [modelPlugin, rendererPlugin, panelPlugin, statusPlugin, adminPlugin];
