import { Widget } from '@lumino/widgets';
import { statusText } from './status';
import type { ILomasModel } from './tokens';

/** The status bar item (text from status.ts); a click, or Enter, opens the budget panel. */
export const STATUS_CLASS = 'jp-LomasStatus';

export class LomasStatus extends Widget {
  constructor(
    private readonly model: ILomasModel,
    onClick: () => void
  ) {
    super();
    this.addClass(STATUS_CLASS);
    this.addClass('jp-StatusBar-TextItem');
    this.node.setAttribute('role', 'button');
    this.node.tabIndex = 0;
    this.node.addEventListener('click', onClick);
    this.node.addEventListener('keydown', e => {
      if (e.key === 'Enter' || e.key === ' ') onClick();
    });
    model.connectionChanged.connect(this.redraw, this);
    model.lastQueriedChanged.connect(this.redraw, this);
    this.redraw();
  }

  redraw(): void {
    const { text, title } = statusText(this.model);
    this.node.textContent = text;
    this.node.title = title;
  }

  override dispose(): void {
    this.model.connectionChanged.disconnect(this.redraw, this);
    this.model.lastQueriedChanged.disconnect(this.redraw, this);
    super.dispose();
  }
}
