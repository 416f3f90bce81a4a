// The time range control shared by the alerts, flows and dashboard filters.
import { RANGES, clock, fmtTime, fromLocalInput, presetsFromData, toLocalInput } from '../format.js';

// Said beside the presets while they count back from the newest data.
export function PresetNote({ range }) {
	if (!range || range === 'custom' || !presetsFromData()) return null;
	return (
		<p class="preset-note" role="note">
			Counting back from the newest data ({fmtTime(clock.newest_us)}), not from now: the sensor replays capture files.
		</p>
	);
}

// value: {range, from, to}; onChange(partial)
export function RangeFields({ idPrefix, value, onChange, label = 'Time range', help }) {
	return (
		<>
			<div class="field">
				<label for={`${idPrefix}-range`}>{label}</label>
				<select id={`${idPrefix}-range`} value={value.range || ''} title={help}
					onChange={(e) => onChange({ range: e.currentTarget.value })}>
					{RANGES.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
				</select>
			</div>
			{value.range === 'custom' && (
				<>
					<div class="field">
						<label for={`${idPrefix}-from`}>From</label>
						<input id={`${idPrefix}-from`} type="datetime-local" value={toLocalInput(value.from)}
							onChange={(e) => onChange({ from: fromLocalInput(e.currentTarget.value) })} />
					</div>
					<div class="field">
						<label for={`${idPrefix}-to`}>To</label>
						<input id={`${idPrefix}-to`} type="datetime-local" value={toLocalInput(value.to)}
							onChange={(e) => onChange({ to: fromLocalInput(e.currentTarget.value) })} />
					</div>
				</>
			)}
		</>
	);
}
