import { Dialog, Notification } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { el } from './dom';
import type { ILomasModel } from './tokens';

/**
 * The sign-in dialog: server URL and API key (a password field). The key goes once to the Jupyter
 * server (PUT /lomas/connection), which checks it with the Lomas server and stores it in the
 * notebook library's config file; it never reaches the settings, a notebook, a URL or the
 * browser's storage, and the field is emptied as soon as the dialog is read.
 */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8765';
const CLASS = 'jp-LomasSignIn';

interface Credentials {
  url: string;
  token: string;
}

class SignInBody extends Widget implements Dialog.IBodyWidget<Credentials> {
  private readonly url: HTMLInputElement;
  private readonly key: HTMLInputElement;

  constructor(url: string, configFile: string | undefined, problem: string | undefined) {
    super();
    this.addClass(CLASS);
    const field = (label: string, input: HTMLInputElement): HTMLElement => {
      const wrap = el('label', `${CLASS}-field`);
      wrap.appendChild(el('span', `${CLASS}-label`, label));
      wrap.appendChild(input);
      return wrap;
    };
    this.url = el('input', `jp-mod-styled ${CLASS}-url`);
    this.url.type = 'url';
    this.url.value = url;
    this.url.spellcheck = false;
    this.key = el('input', `jp-mod-styled ${CLASS}-key`);
    this.key.type = 'password';
    this.key.autocomplete = 'off';
    this.key.spellcheck = false;
    this.key.placeholder = 'lomas_…';
    this.node.append(field('Lomas server URL', this.url), field('API key', this.key));
    if (problem) {
      const error = el('div', `${CLASS}-error`, problem);
      error.setAttribute('role', 'alert');
      this.node.appendChild(error);
    }
    this.node.appendChild(
      el(
        'div',
        `${CLASS}-hint`,
        `The Jupyter server checks the key with the Lomas server, then keeps it in ${configFile ?? '~/.lomas/config.json'} (readable by you only), where your notebooks read it too. It is never stored in JupyterLab's settings, a notebook or this browser.`
      )
    );
  }

  getValue(): Credentials {
    const value = { url: this.url.value.trim(), token: this.key.value.trim() };
    this.key.value = '';
    return value;
  }
}

/** Asks for URL and key until the server accepts them or the user cancels. */
export async function signInDialog(model: ILomasModel): Promise<boolean> {
  let url = model.connection.url ?? DEFAULT_SERVER_URL;
  let problem: string | undefined;
  if (model.connection.source === 'environment')
    problem =
      'LOMAS_URL or LOMAS_API_KEY is set in the environment JupyterLab was started with: notebooks use it, and signing in here is refused until it is unset.';
  for (;;) {
    const body = new SignInBody(url, model.connection.configFile, problem);
    const result = await new Dialog<Credentials>({
      title: 'Sign in to Lomas',
      body,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Sign in' })],
      focusNodeSelector: `.${CLASS}-key`
    }).launch();
    if (!result.button.accept || !result.value) return false;
    url = result.value.url;
    try {
      const state = await model.signIn(result.value.url, result.value.token);
      Notification.success(
        `Signed in to Lomas at ${state.url} as ${state.user ?? '?'}${state.role === 'admin' ? ' (admin)' : ''}.`,
        { autoClose: 4000 }
      );
      return true;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
  }
}
