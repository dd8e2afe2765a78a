"""What units hand in and what was sent to them: submissions, nominations, deliveries."""
