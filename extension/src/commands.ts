import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  InputDialog,
  Notification,
  showErrorMessage,
  type ICommandPalette
} from '@jupyterlab/apputils';
import { NotebookActions, type INotebookTracker } from '@jupyterlab/notebook';
import { signInDialog } from './signin';
import { queryTemplate } from './template';
import { CommandIDs, PALETTE_CATEGORY, PANEL_ID, type ILomasModel } from './tokens';

/**
 * The palette commands: open the panel, refresh, sign in and out, insert a query template. (The
 * admin panel's command is registered by its own plugin.)
 */

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Picks a dataset (or takes args.dataset), then inserts its template below the active cell. */
async function insertTemplate(
  model: ILomasModel,
  tracker: INotebookTracker | null,
  dataset: string | undefined
): Promise<void> {
  const panel = tracker?.currentWidget;
  if (!panel) {
    await showErrorMessage(
      'Lomas query template',
      'Open a notebook (TypeScript kernel) first: the template is inserted below its active cell.'
    );
    return;
  }
  let name = dataset;
  if (!name) {
    const names = (await model.datasets()).map(d => d.name);
    if (names.length === 0) {
      await showErrorMessage(
        'Lomas query template',
        'No dataset is shared with you yet: ask an administrator for a budget on one.'
      );
      return;
    }
    const choice = await InputDialog.getItem({
      title: 'Insert a Lomas query template',
      label: 'Dataset',
      items: names,
      current: model.lastQueried?.dataset ?? names[0]
    });
    if (!choice.button.accept || !choice.value) return;
    name = choice.value;
  }
  const source = queryTemplate(name, await model.datasetMetadata(name));
  NotebookActions.insertBelow(panel.content);
  panel.content.activeCell?.model.sharedModel.setSource(source);
}

export function registerCommands(
  app: JupyterFrontEnd,
  model: ILomasModel,
  palette: ICommandPalette | null,
  tracker: INotebookTracker | null
): void {
  const { commands } = app;
  const signedIn = (): boolean => model.connection.status === 'signed-in';
  const failed = (title: string) => (err: unknown) => showErrorMessage(title, messageOf(err));

  commands.addCommand(CommandIDs.openBudgetPanel, {
    label: 'Lomas: Open budget panel',
    caption: 'Show your privacy budget per dataset',
    execute: () => app.shell.activateById(PANEL_ID)
  });
  commands.addCommand(CommandIDs.refreshBudgets, {
    label: 'Lomas: Refresh budgets',
    execute: () => (signedIn() ? model.refresh() : model.refreshConnection())
  });
  commands.addCommand(CommandIDs.signIn, {
    label: 'Lomas: Sign in',
    caption:
      'Give the Lomas server URL and your API key (kept by the Jupyter server, not the browser)',
    execute: () => signInDialog(model).catch(failed('Lomas sign-in'))
  });
  commands.addCommand(CommandIDs.signOut, {
    label: 'Lomas: Sign out',
    caption: 'Remove your API key from the Jupyter server (notebooks lose it too)',
    isEnabled: signedIn,
    execute: async () => {
      try {
        await model.signOut();
        Notification.info('Signed out of Lomas: the key was removed.', { autoClose: 4000 });
      } catch (err) {
        await failed('Lomas sign-out')(err);
      }
    }
  });
  commands.addCommand(CommandIDs.insertTemplate, {
    label: 'Lomas: Insert query template',
    caption:
      'A query cell for a dataset, built from its public metadata (cost and accuracy first, free)',
    isEnabled: signedIn,
    execute: args =>
      insertTemplate(
        model,
        tracker,
        typeof args.dataset === 'string' ? args.dataset : undefined
      ).catch(failed('Lomas query template'))
  });
  for (const command of [
    CommandIDs.openBudgetPanel,
    CommandIDs.refreshBudgets,
    CommandIDs.signIn,
    CommandIDs.signOut,
    CommandIDs.insertTemplate
  ])
    palette?.addItem({ command, category: PALETTE_CATEGORY });
  model.connectionChanged.connect(() => commands.notifyCommandChanged());
}
