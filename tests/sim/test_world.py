"""The simulated world: physics of each kit part, seeded noise and bounce, clear errors."""

from __future__ import annotations

import pytest

from labkit.errors import LabkitError, PinError, SimulationError, ValueRangeError
from labkit.sim import World


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def adc(volts: float) -> int:
    return min(int(volts * 1024 / 5.0), 1023)


def ldr_volts(light: float) -> float:
    lux = light * 1000
    ldr = 1e6 if lux == 0 else min(1e6, 10_000 * (lux / 10) ** -0.7)
    return 5.0 * 10_000 / (10_000 + ldr)


@pytest.mark.parametrize("light", [0.0, 0.001, 0.01, 0.2, 0.5, 1.0])
def test_light_sensor_is_an_ldr_divider(light: float) -> None:
    world = World("starter", noise_lsb=0)
    world.light = light
    assert world.analog_voltage("A0") == pytest.approx(ldr_volts(light))
    assert world.adc_read("A0") == adc(ldr_volts(light))


def test_brighter_reads_higher() -> None:
    world = World("starter", noise_lsb=0)
    codes = []
    for light in (0.0, 0.01, 0.1, 0.5, 1.0):
        world.light = light
        codes.append(world.adc_read(14))
    assert codes == sorted(codes) and codes[0] == 10 and codes[-1] == 984  # dark: 1 MOhm


@pytest.mark.parametrize(("celsius", "code"), [(-40, 20), (0, 102), (25, 153), (100, 307), (125, 358)])
def test_tmp36(celsius: float, code: int) -> None:
    world = World("starter", noise_lsb=0)
    world.temperature_c = celsius
    assert world.analog_voltage("A1") == pytest.approx(0.5 + 0.01 * celsius)
    assert world.adc_read("A1") == code


def test_potentiometer_spans_the_supply() -> None:
    world = World("starter", noise_lsb=0)
    for knob, code in ((0.0, 0), (0.25, 256), (0.5, 512), (1.0, 1023)):
        world.knob = knob
        assert world.adc_read("A2") == code


def test_noise_is_small_seeded_and_the_same_whenever_sampled() -> None:
    worlds = [World("starter", seed=s, noise_lsb=1.0) for s in (3, 3, 4)]

    def sweep(world: World) -> list[int]:
        codes = []
        for step in range(200):
            world.knob = step / 400
            codes.append(world.adc_read("A2"))
            assert world.adc_read("A2") == codes[-1]  # the same world reads the same
        return codes

    a, b, c = (sweep(w) for w in worlds)
    assert a == b != c
    ideal = [min(int(step / 400 * 1024), 1023) for step in range(200)]
    errors = [code - exact for code, exact in zip(a, ideal, strict=True)]
    assert max(map(abs, errors)) <= 4 and len(set(errors)) >= 3


def test_jitter_is_a_seeded_sequence() -> None:
    def readings(seed: int) -> list[int]:
        world = World("starter", seed=seed, noise_lsb=0, jitter_lsb=1.0)
        world.knob = 0.5
        return [world.adc_read("A2") for _ in range(100)]

    first = readings(3)
    assert readings(3) == first != readings(4)
    assert all(abs(code - 512) <= 5 for code in first) and len(set(first)) > 2


def test_floating_pins_hum_but_stay_in_range() -> None:
    clock = Clock()
    world = World("starter", seed=2, clock=clock, noise_lsb=0)
    volts = []
    for step in range(20):
        clock.t = step * 0.001
        volts.append(world.analog_voltage("A3"))
    assert all(0.0 <= v <= 5.0 for v in volts)
    assert max(volts) - min(volts) > 0.1  # 50 Hz pickup
    assert World("starter", seed=2, clock=clock).digital_level(4) == world.digital_level(4)
    assert world.digital_level(4, pull_up=True) == 1


def test_button_with_pull_up_reads_low_when_pressed() -> None:
    world = World("starter")
    assert world.digital_level(2, pull_up=True) == 1
    world.press("button")
    assert world.buttons["button"] is True
    assert world.digital_level(2, pull_up=True) == 0
    assert world.digital_level(2, pull_up=False) == 0
    world.release("button")
    assert world.digital_level(2, pull_up=True) == 1


def test_bounce_chatters_then_settles_the_same_way_for_a_seed() -> None:
    def levels(seed: int) -> list[int]:
        clock = Clock()
        world = World("starter", seed=seed, clock=clock)
        world.bounce_ms = 10
        clock.t = 1.0
        world.press("button")
        out = []
        for step in range(150):
            clock.t = 1.0 + step * 0.0001
            out.append(world.digital_level(2, pull_up=True))
        clock.t = 1.011
        assert world.digital_level(2, pull_up=True) == 0
        assert world.next_event(1.011) is None
        return out

    first = levels(5)
    flips = sum(1 for x, y in zip(first, first[1:], strict=False) if x != y)
    assert first[0] == 0 and flips >= 2 and flips % 2 == 0
    assert levels(5) == first
    assert levels(6) != first


def test_pir_follows_motion() -> None:
    world = World("starter")
    assert world.digital_level(7) == 0
    world.motion = True
    assert world.digital_level(7) == 1


def test_servo_slews_at_the_kits_rate() -> None:
    clock = Clock()
    world = World("starter", clock=clock)
    assert world.servo_angle(9) == 90.0
    world.drive(9, "servo", 544)  # 0 degrees
    clock.t = 0.1
    assert world.servo_angle(9) == pytest.approx(60.0)  # 300 deg/s
    clock.t = 0.3
    assert world.servo_angle(9) == 0.0
    world.drive(9, "servo", 2400)
    clock.t = 0.6
    assert world.servo_angle(9) == pytest.approx(90.0)
    world.drive(9, "off", 0)  # pulses stop: it stays where it is
    clock.t = 2.0
    assert world.servo_angle(9) == pytest.approx(90.0)


def test_outputs_are_recorded_by_part() -> None:
    world = World("starter")
    world.drive(3, "pwm", 0.5)
    world.drive(6, "output", 1)
    assert world.output("rgb") == (0.5, 0.0, 1.0)
    assert world.output("buzzer") == 0.0
    with pytest.raises(SimulationError, match="an input"):
        world.output("light")


def test_bad_values_and_missing_parts_are_named() -> None:
    world = World("starter")
    with pytest.raises(ValueRangeError, match="light must be within 0..1"):
        world.light = 1.5
    with pytest.raises(ValueError):
        world.temperature_c = 300
    with pytest.raises(SimulationError, match="no button 'buton'"):
        world.press("buton")
    with pytest.raises(PinError, match="no servo"):
        world.servo_angle(8)
    with pytest.raises(LabkitError, match="no pin"):
        world.analog_voltage("A9")
    with pytest.raises(SimulationError, match="mode must be one of"):
        world.drive(13, "blink", 1)
