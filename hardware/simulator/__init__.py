"""A simulated household: phones, a wearable, cars and room devices publishing over MQTT."""
