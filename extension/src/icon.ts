import { LabIcon } from '@jupyterlab/ui-components';

/** A small "L" with a noise wave; jp-icon3 makes it follow the theme's icon color. */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h3v15h8v3H4z"/>
    <path d="M13 11c1.5-3 3-3 4.5 0s3 3 4.5 0v3c-1.5 3-3 3-4.5 0s-3-3-4.5 0z"/>
  </g>
</svg>`;

export const lomasIcon = new LabIcon({ name: 'jupyterlab-lomas:icon', svgstr });
